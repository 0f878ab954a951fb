/**
 * AppCodes (protocol §2.3): the `code` member of every JSON response. Each entry carries its
 * default HTTP status and detail text; a route may pass another detail where the spec says so.
 * Server and clients share this module, so a client can recognise every code the server sends.
 */
export const APP_CODES = {
  // Authentication / authorization
  API_KEY_VALID: [200, "API key is valid."],
  API_KEY_MISSING: [401, "Authentication failed: no API key was provided. To obtain an API key for {SERVER_NAME}, contact: {CONTACT_TO_GET_NEW_KEY}."],
  API_KEY_INVALID: [401, "Authentication failed: the API key is invalid. To obtain an API key for {SERVER_NAME}, contact: {CONTACT_TO_GET_NEW_KEY}."],
  API_KEY_INACTIVE: [403, "Authentication failed: the API key is inactive or revoked."],
  API_KEY_ROLE_FORBIDDEN: [403, "Access denied: the API key does not have the required role."],
  // Generic
  REQUEST_VALIDATION_ERROR: [422, "The request parameters did not pass validation."],
  HTTP_ERROR: [404, "Not Found"],
  INTERNAL_ERROR: [500, "An internal server error occurred."],
} as const satisfies Record<string, readonly [number, string]>;

export type AppCode = keyof typeof APP_CODES;
