/** What the demo page's script needs to know about the server it came from. */
export interface DemoClientOptions {
  /** Path of the GraphQL endpoint (HTTP and graphql-ws). */
  readonly graphqlPath: string;
}
