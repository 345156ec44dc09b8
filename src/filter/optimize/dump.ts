/**
 * The graph as Graphviz DOT, so a person can see why a Program looks as it
 * does (`dot -Tsvg`). The text form is `dumpCfg` from cfg.ts.
 */
import { BPF_X, bpfOp, bpfSrc, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET } from '../../bpf/opcodes.js';
import { dumpCfg, isReturn, topologicalOrder, type Cfg } from '../cfg.js';

const OPS: Record<number, string> = { [BPF_JEQ]: 'jeq', [BPF_JGT]: 'jgt', [BPF_JGE]: 'jge', [BPF_JSET]: 'jset' };

function escape(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/**
 * A DOT digraph of the graph: one box per block (its statements and its
 * ending, as `dumpCfg` prints them), green edges for true, red for false.
 *
 * @example
 * writeFileSync('cfg.dot', dumpCfgDot(buildCfg('tcp port 80'), 'tcp port 80'));
 */
export function dumpCfgDot(cfg: Cfg, title = 'cfg'): string {
  const order = topologicalOrder(cfg);
  const name = new Map(order.map((b, i) => [b, `B${i}`]));
  // dumpCfg prints blocks in the same order, one paragraph each, starting "Bn: ".
  const text = dumpCfg(cfg).split(/\n(?=B\d+: )/);
  const lines = [`digraph "${escape(title)}" {`, '  node [shape=box, fontname="monospace"];'];
  order.forEach((b, i) => {
    const body = text[i].replace(/^B\d+: /, '').split('\n').map((l) => l.trim());
    const shape = isReturn(b) ? ', style=rounded' : '';
    lines.push(`  ${name.get(b)} [label="${escape(`${name.get(b)}\n${body.join('\n')}`).replace(/\n/g, '\\l')}\\l"${shape}];`);
    if (!isReturn(b)) {
      const test = `${OPS[bpfOp(b.code)] ?? '?'} ${bpfSrc(b.code) === BPF_X ? 'x' : `#0x${b.k.toString(16)}`}`;
      lines.push(`  ${name.get(b)} -> ${name.get(b.jt!)} [color=darkgreen, label="${escape(test)}"];`);
      lines.push(`  ${name.get(b)} -> ${name.get(b.jf!)} [color=red, style=dashed];`);
    }
  });
  lines.push('}');
  return lines.join('\n');
}
