import { telemetry } from './tracing';
import 'reflect-metadata';
import { runConnector } from '@sluice/connect';
import { transformerConnector } from '@sluice/pipeline';

// On SIGTERM in-flight records finish and commit; after a failure the restart resumes from the last
// commit. The pipeline file is found relative to the configuration file.
runConnector(transformerConnector, { shutdown: () => telemetry.shutdown() });
