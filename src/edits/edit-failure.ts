/** Why one edit could not be applied; `search` is what was looked for, for the "did you mean" report. */
export class EditFailure extends Error {
  readonly search: string[];
  constructor(message: string, search: string[] = []) {
    super(message);
    this.name = "EditFailure";
    this.search = search;
  }
}
