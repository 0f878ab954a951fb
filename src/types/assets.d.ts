// Files imported `with { type: "file" }` (embedded by `bun build --compile`) resolve to a path;
// `with { type: "text" }` to the file's text.
declare module "*.wasm" {
  const path: string;
  export default path;
}
declare module "*.data" {
  const path: string;
  export default path;
}
declare module "*.jpg" {
  const path: string;
  export default path;
}
declare module "*.traineddata.gz" {
  const path: string;
  export default path;
}
declare module "*.sql" {
  const text: string;
  export default text;
}
declare module "*.css" {
  const path: string;
  export default path;
}
declare module "*/swagger-ui-bundle.js" {
  const path: string;
  export default path;
}
declare module "*/libonnxruntime.so.1" {
  const path: string;
  export default path;
}
