import { harvestSourceClear, harvestSourceCreate, harvestSourceDelete, harvestSourceList, harvestSourceShow, harvestSourceUpdate } from './source-actions.ts';
import { jobActions } from './job-actions.ts';
import { pipelineActions } from './pipeline.ts';
import { harvestMaintain } from './maintenance.ts';

/** Every harvest action: ckanext-harvest's public ones, then the pipeline's internal ones. */
export const harvestActions = [harvestSourceCreate, harvestSourceShow, harvestSourceList, harvestSourceUpdate, harvestSourceDelete, harvestSourceClear, ...jobActions, ...pipelineActions, harvestMaintain];
