// Node-only parts of flashkv: flash backed by image files.
export { FileFlash } from './file-flash.js';
export type { FileFlashOpenOptions } from './file-flash.js';
export { readImageFile, writeFileAtomic } from './image-file.js';
