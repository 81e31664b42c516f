import { crashScenario } from './crash-scenario.js';

crashScenario('sqlite');
