/** The running `Transformer` the controllers talk to. */
export const TRANSFORMER = Symbol('sluice.transformer.transformer');
