// The one registry of client-visible error codes. Codes are stable: never rename one that shipped.
export const errorCodes = {
  internal: { status: 500, message: 'Internal server error' },
  'service.unavailable': { status: 503, message: 'A backing service is unavailable' },
  'request.invalid_input': { status: 400, message: 'The request is invalid' },
  'request.not_found': { status: 404, message: 'No such resource' },
  'request.too_large': { status: 413, message: 'The request body is too large' },
  'request.rate_limited': { status: 429, message: 'Too many requests: slow down and retry later' },
  'auth.unauthenticated': { status: 401, message: 'Authentication is required' },
  'auth.permission_denied': { status: 403, message: 'Missing permission' },
  'secrets.key_unknown': { status: 404, message: 'SECRETS_KEY holds no key with that id' },
  'secrets.key_in_use': { status: 409, message: 'That key is still needed and cannot be retired' },
  'secrets.ring_mismatch': {
    status: 409,
    message: 'A running node holds a different SECRETS_KEY ring: bring every node to the same ring first',
  },

  'organization.not_found': { status: 404, message: 'Organization not found' },
  'organization.domain_taken': { status: 409, message: 'That domain is already in use' },
  'signup.closed': {
    status: 403,
    message: 'Sign-up is closed on this installation: ask its operator to create your organization',
  },
  'organization.master_not_deletable': { status: 409, message: 'The master organization cannot be deleted' },
  'organization.not_master': { status: 422, message: 'This setting belongs to the master organization' },
  'organization.owner_not_eligible': {
    status: 422,
    message:
      'The owner must be an active user of this organization holding Organization Administrators on the node',
  },
  'organization.owner_protected': {
    status: 409,
    message:
      'The owner of a node keeps Organization Administrators and stays enabled: transfer ownership first',
  },
  'business_group.name_taken': { status: 409, message: 'A sibling business group already has that name' },
  'business_group.has_children': { status: 409, message: 'The business group still has child groups' },
  'business_group.limit_reached': {
    status: 409,
    message: 'The organization holds the most business groups allowed',
  },
  'business_group.not_entitled': { status: 403, message: 'The parent may not create business groups' },
  'business_group.entitlement_not_on_parent': {
    status: 422,
    message: 'A business group may only have an entitlement its parent has',
  },

  'user.not_found': { status: 404, message: 'User not found' },
  'user.username_taken': { status: 409, message: 'That username is already taken in this organization' },
  'user.inactive': { status: 409, message: 'The user is disabled or deleted' },
  'user.email_unverified': {
    status: 409,
    message: "The user's email address is not verified: a reset link goes only to a verified address",
  },
  'user.email_already_verified': { status: 409, message: "The user's email address is already verified" },
  'user.not_local': {
    status: 409,
    message: "The user signs in through their company's identity provider and has no password here",
  },
  'password.current_invalid': { status: 403, message: 'The current password is not correct' },
  'password.policy': { status: 422, message: 'The password does not meet the password policy' },
  'account.link_invalid': {
    status: 410,
    message: 'This link is not valid: it was used already, has expired or was replaced by a newer one',
  },
  'session.not_found': { status: 404, message: 'Session not found' },

  'role.not_found': { status: 404, message: 'Role not found' },
  'role.name_taken': { status: 409, message: 'A role with that name already exists' },
  'role.read_only': { status: 403, message: 'Built-in roles cannot be changed' },
  'role.in_use': { status: 409, message: 'The role is still assigned' },
  'role_assignment.not_found': { status: 404, message: 'Role assignment not found' },
  'role_assignment.exists': { status: 409, message: 'That role assignment already exists' },
  'role_assignment.not_environment_scopable': {
    status: 422,
    message:
      'Only roles with environment-scoped permissions can be assigned to an environment, without inheritance',
  },
  'role_assignment.privilege_escalation': {
    status: 403,
    message: 'You cannot grant or remove permissions you do not hold on that node',
  },

  'environment.not_found': { status: 404, message: 'Environment not found' },
  'environment.name_taken': {
    status: 409,
    message: 'An environment with that name already exists on this node',
  },
  'environment.not_entitled': { status: 403, message: 'This business group may not manage environments' },
  'credentials.not_found': { status: 404, message: 'Client credentials not found' },

  'app.not_found': { status: 404, message: 'App not found' },
  'app.name_taken': { status: 409, message: 'An app with that name already exists in this organization' },
  'app.public_client': {
    status: 409,
    message: 'Single-page and native apps are public clients: they have no client secret',
  },
  'app.privilege_escalation': {
    status: 403,
    message:
      'You cannot give an app, or take the secret of an app holding, permissions you do not hold there',
  },

  'invitation.not_found': { status: 404, message: 'Invitation not found' },
  'invitation.not_pending': { status: 409, message: 'The invitation has already been accepted or cancelled' },
  'invitation.expired': { status: 410, message: 'The invitation has expired: ask for a new one' },
  'invitation.used': { status: 410, message: 'The invitation has already been accepted' },
  'invitation.cancelled': { status: 410, message: 'The invitation was cancelled' },
  'invitation.local_accounts_disabled': {
    status: 409,
    message:
      'This organization no longer creates local accounts: its people sign in through its identity provider',
  },
  'invitation.quota_exceeded': {
    status: 429,
    message: "This organization has sent today's quota of invitation mails: try again tomorrow",
  },

  'identity_provider.not_found': { status: 404, message: 'Identity provider not found' },
  'identity_provider.name_taken': {
    status: 409,
    message: 'An identity provider with that name already exists in this organization',
  },
  'identity_provider.none_enabled': {
    status: 409,
    message: 'Local account creation can be turned off only while an identity provider is enabled',
  },
  'identity_provider.last_enabled': {
    status: 409,
    message:
      'Local account creation is off: the last enabled identity provider must stay (turn local accounts back on first)',
  },
  'identity_provider.privilege_escalation': {
    status: 403,
    message:
      'You cannot change what an identity provider trusts while its group mappings or linked users hold permissions you do not hold',
  },
  'group_mapping.not_found': { status: 404, message: 'Group mapping not found' },
  'group_mapping.exists': { status: 409, message: 'That group mapping already exists' },

  'signing_key.not_found': { status: 404, message: 'No signing key has that kid' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCodes;
