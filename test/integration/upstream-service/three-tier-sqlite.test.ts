import { threeTierScenario } from './three-tier-scenario.js';

threeTierScenario('sqlite');
