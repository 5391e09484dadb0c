// What the objects added between two heap snapshots are: self size by type and constructor name,
// per unit (`node scripts/heap-diff.mjs before.heapsnapshot after.heapsnapshot [units] [rows]`).
// Written by scripts/socket-memory.mjs with HEAP_SNAPSHOT_DIR set (units: the sockets opened between).
import { readFileSync } from 'node:fs';

function totals(file) {
  const snapshot = JSON.parse(readFileSync(file, 'utf8'));
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((field) => fields.indexOf(field));
  const byKey = new Map();
  const { nodes, strings } = snapshot;
  for (let i = 0; i < nodes.length; i += fields.length) {
    const type = types[nodes[i + typeAt]];
    const name = type === 'string' || type === 'number' || type === 'concatenated string' || type === 'sliced string' ? '' : strings[nodes[i + nameAt]];
    const key = `${type} ${name}`.slice(0, 90);
    const entry = byKey.get(key) ?? { count: 0, bytes: 0 };
    entry.count += 1;
    entry.bytes += nodes[i + sizeAt];
    byKey.set(key, entry);
  }
  return byKey;
}

const [beforeFile, afterFile, unitsArg = '1', rowsArg = '40'] = process.argv.slice(2);
const units = Number(unitsArg);
const before = totals(beforeFile);
const after = totals(afterFile);
const rows = [...after].map(([key, value]) => {
  const base = before.get(key) ?? { count: 0, bytes: 0 };
  return { key, count: (value.count - base.count) / units, bytes: (value.bytes - base.bytes) / units };
});
rows.sort((a, b) => b.bytes - a.bytes);
const total = rows.reduce((sum, row) => sum + row.bytes, 0);
console.log(`${total.toFixed(0)} bytes per unit in all (${units} units)`);
for (const row of rows.slice(0, Number(rowsArg))) console.log(`${row.bytes.toFixed(0).padStart(7)} B  ${row.count.toFixed(2).padStart(6)}×  ${row.key}`);
