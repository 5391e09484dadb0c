/** The shape every GraphQL-over-X client yields: data and/or errors. */
export interface Result<T> {
  readonly data?: T | null | undefined;
  readonly errors?: ReadonlyArray<{ readonly message: string }> | undefined;
}

/**
 * The data of the first result of a one-shot operation (query or mutation) a client returned as an
 * async iterable. @throws when the result carries errors or no data.
 */
export async function firstData<T>(results: AsyncIterable<Result<T>>): Promise<T> {
  for await (const result of results) {
    if (result.errors !== undefined && result.errors.length > 0) {
      throw new Error(`Operation failed: ${result.errors.map((e) => e.message).join('; ')}`);
    }
    if (result.data === undefined || result.data === null) throw new Error('Operation failed: no data');
    return result.data;
  }
  throw new Error('Operation failed: completed without a result');
}
