// eventemitter2 as the ES module @knocklabs/client imports (`import EventEmitter2 from "eventemitter2"`):
// the global its UMD file, loaded by index.html, defines.
export default globalThis.EventEmitter2;
