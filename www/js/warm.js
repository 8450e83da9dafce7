// warm.js — loaded by index.html as an `async` module before the inspector itself: starts the
// inspection worker and the wasm compile while the rest of the page loads (inspect-client.js
// prewarm), so that the first Inspect finds both ready.
import { prewarm } from './inspect-client.js';

prewarm();
