import { writeFileSync } from 'node:fs';
import { renderConfigDocs } from '../src/config/docs.ts';

writeFileSync('docs/config.md', renderConfigDocs());
console.log('wrote docs/config.md');
