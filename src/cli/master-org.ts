import type { Organization } from '../modules/organizations/index.ts';
import { AppError } from '../platform/errors/index.ts';
import type { CliServices } from './command-deps.ts';

/** The master organization with this domain, or a not-found error naming the domain. */
export async function findMaster(
  services: Pick<CliServices, 'organizations'>,
  domain: string,
): Promise<Organization> {
  const master = await services.organizations.findByDomain(domain);
  if (!master) {
    throw new AppError('organization.not_found', undefined, {
      message: `no master organization has the domain "${domain}"`,
    });
  }
  return master;
}
