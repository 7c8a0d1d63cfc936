// Prints the paper's Table 2 (parameters and multiply-adds) and Table 7 (B0 scaled one dimension
// at a time vs compound scaling) as markdown: our counts from the model definitions beside the
// paper's printed values. Run with `npm run build:ts && npm run bench:tables`.
import {formatTablesMarkdown} from '../src/models/tables.js';

console.log(formatTablesMarkdown());
