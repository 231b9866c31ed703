/**
 * Every report.json and plan.json a scan writes in the tests is checked against docs/schemas,
 * where it is written: loaded by jest (setupFiles) for scans run in-process, and by every child
 * process the tests start (NODE_OPTIONS=--require, see run-cli.ts) for the real CLI and the
 * bundled one. A document that does not match makes the write throw, so the scan fails with the
 * schema's complaint instead of a test passing on a report the published schema refuses.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Ajv2020 = require('ajv/dist/2020').default;

const PATCHED = Symbol.for('ecr-duplicate-scanner.output-schemas');
if (!fs.promises[PATCHED]) {
  const schemaDir = path.join(__dirname, '..', '..', 'docs', 'schemas');
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validators = new Map();
  const validatorOf = (name) => {
    if (!validators.has(name)) {
      const schema = JSON.parse(fs.readFileSync(path.join(schemaDir, name.replace(/\.json$/, '.schema.json')), 'utf8'));
      validators.set(name, ajv.compile(schema));
    }
    return validators.get(name);
  };
  /** report.json or plan.json, also as the temporary file an atomic write renames (`report.json.tmp-…`). */
  const documentName = (file) => {
    const base = path.basename(String(file)).replace(/\.tmp-[^/]*$/, '');
    return base === 'report.json' || base === 'plan.json' ? base : undefined;
  };
  const check = (file, data) => {
    const name = documentName(file);
    if (!name || (typeof data !== 'string' && !Buffer.isBuffer(data))) return;
    let document;
    try {
      document = JSON.parse(String(data));
    } catch {
      return; // Not JSON at all: a test writing a damaged file on purpose.
    }
    const validate = validatorOf(name);
    if (!validate(document)) {
      throw new Error(
        `${name} does not match docs/schemas/${name.replace(/\.json$/, '.schema.json')}: ${ajv.errorsText(validate.errors, { separator: '; ' })}`,
      );
    }
  };
  const writeFile = fs.promises.writeFile;
  fs.promises.writeFile = function (file, data, ...rest) {
    try {
      check(file, data);
    } catch (err) {
      return Promise.reject(err);
    }
    return writeFile.call(this, file, data, ...rest);
  };
  const writeFileSync = fs.writeFileSync;
  fs.writeFileSync = function (file, data, ...rest) {
    check(file, data);
    return writeFileSync.call(this, file, data, ...rest);
  };
  fs.promises[PATCHED] = true;
}
