// Child process of test/errors.test.ts: replays recorded native calls with one option mutated at a
// time and reports what each call did. argv[2]: the addon; stdin: JSON [{entry, options, buffers,
// bufferKeys}] (buffers: base64 contents of the buffers named by the options in bufferKeys). A crash ends this process, which the
// parent sees as a signal or a non-zero exit status.
'use strict';
const addon = require(process.argv[2]);
const calls = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const report = [];

function materialize(call) {
  const BUFFER_KEYS = new Set(call.bufferKeys);
  const ids = new Map();
  const map = (old) => {
    if (!ids.has(old)) ids.set(old, addon.create(Buffer.from(call.buffers[old], 'base64')));
    return ids.get(old);
  };
  const options = {};
  for (const [k, v] of Object.entries(call.options)) {
    if (BUFFER_KEYS.has(k) && Array.isArray(v)) options[k] = v.map(map);
    else if (BUFFER_KEYS.has(k) && typeof v === 'number') options[k] = map(v);
    else options[k] = v;
  }
  return {options, release: () => ids.forEach((id) => addon.free(id))};
}

function attempt(call, key, kind, mutate) {
  const {options, release} = materialize(call);
  const extra = [];
  const result = {entry: call.entry, key, kind};
  try {
    mutate(options, extra);
    addon[call.entry](options);
    result.threw = false;
  } catch (e) {
    result.threw = true;
    result.message = String(e && e.message);
  }
  release();
  extra.forEach((id) => addon.free(id));
  report.push(result);
}

for (const call of calls) {
  const BUFFER_KEYS = new Set(call.bufferKeys);
  attempt(call, '', 'baseline', () => {});
  for (const [k, v] of Object.entries(call.options)) {
    if (BUFFER_KEYS.has(k)) {
      const list = Array.isArray(v) ? v : [v];
      list.forEach((id, i) => {
        const set = (o, value) => {
          if (Array.isArray(v)) (o[k] = o[k].slice())[i] = value;
          else o[k] = value;
        };
        const bytes = Buffer.from(call.buffers[id], 'base64').length;
        const label = Array.isArray(v) ? `${k}[${i}]` : k;
        if (bytes > 4) {
          attempt(call, label, 'buffer too small', (o, extra) => {
            const small = addon.alloc(4);
            extra.push(small);
            set(o, small);
          });
        }
        attempt(call, label, 'freed buffer', (o) => {
          const gone = addon.alloc(4);
          addon.free(gone);
          set(o, gone);
        });
      });
    } else if (typeof v === 'number') {
      attempt(call, k, 'x1000', (o) => (o[k] = v === 0 ? 1007 : v * 1000));
      attempt(call, k, '2^53', (o) => (o[k] = 2 ** 53));
      attempt(call, k, '-1', (o) => (o[k] = -1));
      attempt(call, k, 'NaN', (o) => (o[k] = NaN));
    } else if (Array.isArray(v)) {
      v.forEach((e, i) => {
        attempt(call, `${k}[${i}]`, 'x1000', (o) => ((o[k] = o[k].slice())[i] = e === 0 ? 1007 : e * 1000));
        attempt(call, `${k}[${i}]`, '2^53', (o) => ((o[k] = o[k].slice())[i] = 2 ** 53));
        attempt(call, `${k}[${i}]`, '-1', (o) => ((o[k] = o[k].slice())[i] = -1));
      });
      attempt(call, k, 'one more element', (o) => (o[k] = [...o[k], 3]));
      if (v.length > 0) attempt(call, k, 'one fewer element', (o) => (o[k] = o[k].slice(1)));
    } else if (typeof v === 'string') {
      attempt(call, k, 'unknown string', (o) => (o[k] = 'complex64'));
    } else if (typeof v === 'boolean') {
      attempt(call, k, 'wrong type', (o) => (o[k] = 'yes'));
    }
  }
}
process.stdout.write(JSON.stringify(report));
