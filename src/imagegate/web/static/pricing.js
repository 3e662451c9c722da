// The price of a request before it is sent, by the rule GET /api/v1/models serves with each
// model (`pricing`, catalog/price_table.py): what createTask will debit, in millicredits.

const same = (a, b) => typeof a === typeof b && a === b;

// The input as createTask reads it: a field that is absent or null, not required and with a
// default in the schema gets that default (ModelSpec.validate).
function withDefaults(schema, sent) {
  const input = { ...sent };
  const required = new Set(schema.required || []);
  for (const [name, field] of Object.entries(schema.properties)) {
    if ((input[name] ?? null) === null && !required.has(name) && "default" in field) {
      input[name] = field.default;
    }
  }
  return input;
}

function count(pricing, input) {
  for (const name of pricing.countFields) {
    const value = input[name];
    // "2" and 2 both mean two (the API holds the value to the field's range).
    if (value !== undefined && value !== null) return Number(value);
  }
  const rule = pricing.absentCountWhen.find((when) => same(input[when.field], when.value));
  return rule ? rule.count : pricing.absentCount;
}

// The price of `sent` for `model` in millicredits; null when the rule prices no such input
// (a value the API will refuse anyway).
export function priceMilli(model, sent) {
  const { pricing } = model;
  const input = withDefaults(model.schema, sent);
  let row = pricing.perImage[0];
  if (pricing.field !== null) {
    const value = input[pricing.field] ?? pricing.absentValue;
    row = pricing.perImage.find((entry) => same(entry.value, value));
  }
  const images = count(pricing, input);
  if (!row || !Number.isInteger(images) || images < 1) return null;
  return row.milli * images;
}

// Millicredits as the API shows credits: 7000 → "7", 3500 → "3.5".
export const credits = (milli) => String(milli / 1000);
