import { clientCertScenario } from './client-cert-scenario.js';

clientCertScenario('sqlite');
