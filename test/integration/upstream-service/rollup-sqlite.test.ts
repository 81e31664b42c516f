import { rollupScenario } from './rollup-scenario.js';

rollupScenario('sqlite');
