import { replicaScenario } from './replica-scenario.js';

replicaScenario('sqlite');
