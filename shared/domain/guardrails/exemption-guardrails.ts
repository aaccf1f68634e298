import { ValidationError } from '../errors';

/**
 * Four eyes on exemptions: the approver named in `approved_by` must be someone other than the writer.
 */
export function assertExemptionApprovedByOther(
  exemption: { readonly id: string; readonly approved_by: string },
  writerObjectId: string,
): void {
  if (exemption.approved_by.toLowerCase() === writerObjectId.toLowerCase())
    throw new ValidationError(`exemption '${exemption.id}'`, [
      { path: 'approved_by', message: 'must name a second person, not the writer (four eyes)' },
    ]);
}
