// A local GraphQL Code Generator plugin: emits the schema SDL as a TypeScript string so the
// web-standard core can build its schema without reading files (no `node:fs` outside src/runtime/).
const { printSchema } = require('graphql');

module.exports = {
  plugin(schema) {
    return `export const typeDefs = ${JSON.stringify(printSchema(schema))};\n`;
  },
};
