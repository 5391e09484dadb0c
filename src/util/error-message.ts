/** An error's message for a log line or a wrapping error's text; anything thrown that is not an `Error`, as a string. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
