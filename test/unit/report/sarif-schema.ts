import rtm5Schema from '@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';

/**
 * The SARIF 2.1.0 schema as Microsoft's SARIF SDK ships it (rtm.5, the release the OASIS standard
 * was published from), with the two constraints the standard's errata 01 schema adds applied here:
 * a region names where it starts (startLine, charOffset or byteOffset), and the language-tag
 * pattern written so that it compiles as a Unicode regular expression.
 */
export function sarifValidator() {
  const schema = structuredClone(rtm5Schema) as {
    definitions: Record<string, { properties: Record<string, Record<string, unknown>>; anyOf?: unknown }>;
  };
  const languageTag = '^[a-zA-Z]{2}(-[a-zA-Z]{2})?$';
  schema.definitions.run!.properties.language!.pattern = languageTag;
  schema.definitions.toolComponent!.properties.language!.pattern = languageTag;
  schema.definitions.region!.anyOf = [
    { required: ['startLine'] },
    { required: ['charOffset'] },
    { required: ['byteOffset'] },
  ];
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(schema);
}
