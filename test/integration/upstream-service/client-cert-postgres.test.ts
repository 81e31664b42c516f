import { clientCertScenario } from './client-cert-scenario.js';

clientCertScenario('postgres');
