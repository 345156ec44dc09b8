// The public surface of src/filter/, re-exported by src/index.ts.
export { compile, buildCfg, buildCfgFromTree, type CompileOptions } from './compile.js';
export { parse } from './parser.js';
export { tokenize, type Token, type TokenKind } from './lexer.js';
export { formatExpr, formatArith, type Expr, type Arith, type Qualifiers, type Operand } from './ast.js';
export { dumpCfg, topologicalOrder, type Cfg, type Block, type Stmt } from './cfg.js';
export { linearize } from './linearize.js';
export { FilterError, FilterSyntaxError, CompileError } from './errors.js';
export { SUPPORTED_LINK_TYPES } from './codegen/link.js';
export { optimizeCfg, dumpCfgDot, type OptimizeOptions } from './optimize/index.js';
