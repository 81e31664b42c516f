import { twoTierScenario } from './two-tier-scenario.js';

twoTierScenario('sqlite');
