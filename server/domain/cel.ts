// @bufbuild/cel, loaded when the first condition is read rather than at start-up: with the protobuf
// descriptors it pulls in, it is one of the slowest modules of the service to load.
type Cel = typeof import('@bufbuild/cel');

let loaded: Cel | undefined;

export function cel(): Cel {
  return (loaded ??= require('@bufbuild/cel') as Cel);
}
