// inspector.js — <chunkscope-inspector registry image have platform>: imports the element
// (element.js), re-exports it and defines it under its default name on import, as it always did.
// A host page that wants another tag name, or to choose when it is defined, imports element.js
// and calls define(name) instead.
//
//   <script type="module" src="/chunkscope/inspector.js"></script>
//   <chunkscope-inspector registry="https://registry.example.com" image="app:1.2" have="app:1.1">
//   </chunkscope-inspector>
//
// Importing it more than once (or next to element.js's define()) never throws: define() leaves a
// name that is already defined alone.

import { ChunkscopeInspector, define, DEFAULT_NAME } from './element.js';

define(DEFAULT_NAME);

export { ChunkscopeInspector, define, DEFAULT_NAME };
