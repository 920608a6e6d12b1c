// The page's reader of gammalab's result documents: each document is held against its
// JSON Schema (schema/*.schema.json, served by the program under /schema/) before the
// page shows it, so the page accepts exactly the fields the schema names — the same
// schemas Python's reader and the tests use. This validator knows the keywords those
// schemas use and no others: a schema with another keyword is refused, not half-read
// (tests/schema checks every schema against this list).
'use strict';

const SCHEMA_KEYWORDS = new Set([
  '$schema', '$id', '$ref', '$defs', 'title', 'description', 'type', 'properties', 'required',
  'additionalProperties', 'patternProperties', 'items', 'prefixItems', 'minItems', 'maxItems', 'enum', 'const',
  'oneOf', 'anyOf', 'minimum', 'maximum', 'pattern', 'x-csv',
]);

// The JSON type names of a value, as JSON Schema counts them ("integer" is also a "number").
function jsonTypes(value) {
  if (value === null) return ['null'];
  if (Array.isArray(value)) return ['array'];
  if (typeof value === 'number') return Number.isInteger(value) ? ['integer', 'number'] : ['number'];
  return [typeof value];  // 'string', 'boolean', 'object'
}

// Every way `value` departs from `schema`, as "path: what" strings; empty when it conforms.
// `root` resolves "#/$defs/…" references.
function schemaErrors(schema, value, root = schema, path = '$') {
  for (const keyword of Object.keys(schema)) {
    if (!SCHEMA_KEYWORDS.has(keyword)) return [`${path}: the schema uses '${keyword}', which this reader does not know`];
  }
  const errors = [];
  if (schema.$ref) {
    const target = schema.$ref.replace(/^#\/\$defs\//, '');
    if (!root.$defs || !root.$defs[target]) return [`${path}: the schema's $ref ${schema.$ref} names nothing`];
    errors.push(...schemaErrors(root.$defs[target], value, root, path));
  }
  const types = jsonTypes(value);
  if (schema.type) {
    const allowed = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!allowed.some((t) => types.includes(t))) return [`${path}: is ${types[0]}, not ${allowed.join(' or ')}`];
  }
  if (schema.const !== undefined && JSON.stringify(schema.const) !== JSON.stringify(value)) errors.push(`${path}: is not ${JSON.stringify(schema.const)}`);
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    errors.push(`${path}: ${JSON.stringify(value)} is not one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${path}: ${value} is below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${path}: ${value} is above ${schema.maximum}`);
  }
  if (typeof value === 'string' && schema.pattern && !new RegExp(schema.pattern, 'u').test(value)) {
    errors.push(`${path}: '${value}' does not match ${schema.pattern}`);
  }
  for (const [keyword, wanted] of [['oneOf', 1], ['anyOf', 0]]) {
    if (!schema[keyword]) continue;
    const matching = schema[keyword].filter((branch) => schemaErrors(branch, value, root, path).length === 0).length;
    if (keyword === 'oneOf' ? matching !== wanted : matching === 0) {
      errors.push(`${path}: matches ${matching} of the ${keyword} alternatives`);
    }
  }
  if (types[0] === 'object') {
    for (const key of schema.required || []) if (!(key in value)) errors.push(`${path}: '${key}' is missing`);
    for (const [key, item] of Object.entries(value)) {
      const where = `${path}.${key}`;
      if (schema.properties && key in schema.properties) {
        errors.push(...schemaErrors(schema.properties[key], item, root, where));
        continue;
      }
      const pattern = Object.keys(schema.patternProperties || {}).find((p) => new RegExp(p, 'u').test(key));
      if (pattern) errors.push(...schemaErrors(schema.patternProperties[pattern], item, root, where));
      else if (schema.additionalProperties === false) errors.push(`${where}: not a field of this document`);
      else if (typeof schema.additionalProperties === 'object') errors.push(...schemaErrors(schema.additionalProperties, item, root, where));
    }
  }
  if (types[0] === 'array') {
    if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${path}: fewer than ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) errors.push(`${path}: more than ${schema.maxItems} items`);
    const prefix = schema.prefixItems || [];
    value.forEach((item, i) => {
      const itemSchema = i < prefix.length ? prefix[i] : schema.items;
      if (itemSchema) errors.push(...schemaErrors(itemSchema, item, root, `${path}[${i}]`));
    });
  }
  return errors;
}

if (typeof module !== 'undefined') module.exports = { schemaErrors, SCHEMA_KEYWORDS };
