// @wgan/serve's public surface: entry points, config schema, result types (other exports stay internal).
export { serveSchema, type ServeConfig } from './config.js';
export { loadGenerator, type GeneratorModel } from './model.js';
export { parseGenerate, parseTraverse, RequestError, type GenerateRequest, type TraverseRequest } from './requests.js';
export { createServer, type ServerOptions } from './server.js';
