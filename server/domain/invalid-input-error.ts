/**
 * Input that a domain rule rejects. The message names the problem in words a user can act on, so the
 * HTTP layer can return it as a 400 as it is.
 */
export class InvalidInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
