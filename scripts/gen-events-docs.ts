import { readFileSync, writeFileSync } from 'node:fs';
import { BEGIN, END, readEventMap, renderCatalogue } from './events-doc.ts';

const path = 'docs/events.md';
const doc = readFileSync(path, 'utf8');
const start = doc.indexOf(BEGIN);
const end = doc.indexOf(END);
if (start < 0 || end < start) throw new Error(`${path}: catalogue markers not found`);
writeFileSync(path, doc.slice(0, start) + renderCatalogue(readEventMap()) + doc.slice(end + END.length));
console.log(`wrote the event catalogue of ${path}`);
