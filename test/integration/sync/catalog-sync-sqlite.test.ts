import { catalogScenario } from './catalog-sync-scenario.js';

catalogScenario('sqlite');
