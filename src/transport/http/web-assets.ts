/**
 * The browser scripts the service serves, bundled at build time from web/ (`scripts/bundle-web.mjs`
 * into web/dist/, not committed) and handed in by the entries, which import the bundle module
 * statically: the core reads no file, and Node and Deno serve the same bytes.
 */
export interface WebAssets {
  /** web/demo/demo-client.ts with @switchboard/client; defines `switchboardDemo`. */
  readonly demoScript?: string;
  /** web/admin/admin-client.ts with uPlot; defines `switchboardAdmin`. */
  readonly adminScript?: string;
  /** web/admin/admin.css with uPlot's style sheet. */
  readonly adminStyle?: string;
}
