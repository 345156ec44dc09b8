// The public surface of src/demux/: many filters matched in one pass.
export { FilterSet, FilterSetError, type FilterSetOptions, type FilterSetStats, type FilterHandler } from './filter-set.js';
