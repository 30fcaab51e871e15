// The comparison with pw_kvs's recorded results lives in the core (the differential fuzzer uses
// it too); the golden tests import it from here.
export { comparable, differences, exactJson, firstDifference } from '../../src/scenario/compare.js';
