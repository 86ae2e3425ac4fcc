// Goes when the parallel branches are merged: the references live in src/registry/reference.ts.
export { InvalidReferenceError, parseImageReference, parseRepoTag, type DockerImageName as ImageReference } from '../registry/reference.ts';
