import { downstreamInputScenario } from './downstream-input-scenario.js';

downstreamInputScenario('sqlite');
