import { replayScenario } from './wsusss-replay-scenario.js';

replayScenario('sqlite');
