/** The running `HttpSink` the controllers talk to. */
export const HTTP_SINK = Symbol('sluice.sink-http.sink');
