import { downstreamRegistryScenario } from './downstream-registry-scenario.js';

downstreamRegistryScenario('sqlite');
