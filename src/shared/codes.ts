/**
 * AppCodes (docs/protocol.md §2.3): the `code` member of every JSON response. Each entry carries its
 * default HTTP status and detail text; a route may pass another status/detail where the spec says
 * so (e.g. JOB_CANCELLED is 409 on the result route, JOB_UPDATED has another text on the admin
 * route). Server and clients share this module, so a client can recognise every code the server
 * sends. The 105 members of the reference enum come first; our extension codes (docs/decisions.md §5 and
 * the upload size limit) are marked as such at the end.
 */
export const APP_CODES = {
  // Authentication / authorization
  API_KEY_VALID: [200, "API key is valid."],
  API_KEY_MISSING: [
    401,
    "Authentication failed: no API key was provided. To obtain an API key for {SERVER_NAME}, contact: {CONTACT_TO_GET_NEW_KEY}.",
  ],
  API_KEY_INVALID: [
    401,
    "Authentication failed: the API key is invalid. To obtain an API key for {SERVER_NAME}, contact: {CONTACT_TO_GET_NEW_KEY}.",
  ],
  API_KEY_INACTIVE: [403, "Authentication failed: the API key is inactive or revoked."],
  API_KEY_ROLE_FORBIDDEN: [403, "Access denied: the API key does not have the required role."],
  API_KEY_FORBIDDEN_FOR_JOB: [403, "The API key does not have access to the job."],
  API_KEY_USER_FORBIDDEN: [403, "User can only cancel jobs."],
  API_KEY_WORKER_FORBIDDEN: [403, "Worker can only mark job as done or error, and update progress."],
  API_KEY_FORBIDDEN_FOR_ENGINE_VERSION: [403, "Regular API keys are not allowed to specify 'engine_version'."],
  API_KEY_FORBIDDEN_FOR_ENGINE_ACTIVE: [403, "Regular API keys are not allowed to filter by 'active'."],
  API_KEY_FORBIDDEN_FOR_ENGINE_DEFINITION: [403, "Regular API keys are not allowed to use 'show_definition'."],

  // Jobs (user side)
  JOB_CREATED: [201, "Job created successfully."],
  JOBS_RETRIEVED: [200, "Jobs retrieved successfully."],
  JOB_RETRIEVED: [200, "The job details have been retrieved successfully."],
  JOB_NOT_FOUND: [404, "Job does not exist."],
  JOB_NOT_IN_NEW: [409, "Only jobs in new state can be accessed by users for this operation."],
  JOB_CANCELLED: [200, "Job cancelled successfully."], // 409 "Job cancelled and result is not available." on GET result
  JOB_UNCANCELLABLE: [409, "Job is already finished and cannot be cancelled."],
  JOB_FAILED: [409, "Job failed and result is not available."],
  JOB_RESULT_NOT_READY: [425, "Job result is not ready yet."],
  JOB_RESULT_GONE: [410, "Job result is no longer available."],
  JOB_RESULT_RETRIEVED: [200, "Job result retrieved successfully."], // docs only
  IMAGE_UPLOADED: [201, "IMAGE file uploaded successfully."],
  IMAGE_REUPLOADED: [200, "IMAGE file re-uploaded successfully."],
  IMAGE_INVALID: [415, "Failed to decode the IMAGE file, probably not a valid image."],
  IMAGE_NOT_FOUND_FOR_JOB: [404, "Image does not exist for the specified job."],
  ALTO_UPLOADED: [201, "ALTO XML file uploaded successfully."],
  ALTO_REUPLOADED: [200, "ALTO XML file re-uploaded successfully."],
  ALTO_NOT_REQUIRED: [409, "ALTO XML file is not required for this job."],
  ALTO_SCHEMA_INVALID: [422, "ALTO XML file does not conform to the required schema."],
  PAGE_UPLOADED: [201, "PAGE XML file uploaded successfully."],
  PAGE_REUPLOADED: [200, "PAGE XML file re-uploaded successfully."],
  PAGE_NOT_REQUIRED: [409, "PAGE XML file is not required for this job."],
  PAGE_SCHEMA_INVALID: [422, "PAGE XML file does not conform to the required schema."],
  XML_PARSE_ERROR: [400, "Failed to parse the XML file."],
  META_JSON_UPLOADED: [201, "Meta JSON file uploaded successfully."],
  META_JSON_REUPLOADED: [200, "Meta JSON file re-uploaded successfully."],
  META_JSON_NOT_REQUIRED: [409, "Meta JSON file is not required for this job."],
  ENGINE_NOT_FOUND: [404, "The specified engine does not exist."], // "Engine does not exist." on admin engine routes
  ENGINE_INACTIVE: [409, "The specified engine is inactive."],

  // Worker side
  JOB_LEASED: [200, "Job has been assigned to the worker and the lease has been established (UTC time)."],
  JOB_QUEUE_EMPTY: [200, "Queue is empty right now, try again shortly."],
  JOB_LEASE_EXTENDED: [200, "Job lease has been successfully extended (UTC time)."],
  JOB_LEASE_RELEASED: [204, "Job lease has been released."],
  JOB_NOT_IN_PROCESSING: [409, "Only jobs in processing state can be accessed by workers for this operation."],
  JOB_UPDATED: [200, "Job has been updated successfully and the lease has been extended (UTC time)."], // admin route: "Job was updated successfully."
  JOB_UPDATE_NO_FIELDS: [400, "At least one of `progress`, `log`, or `log_user` must be provided to update job progress."],
  JOB_UNFINISHABLE: [409, "Job cannot be finished."],
  JOB_RESULT_MISSING: [409, "Job cannot be marked as done. Result ZIP file has not been uploaded yet."],
  JOB_COMPLETED: [200, "Job has been marked as done."],
  JOB_ALREADY_COMPLETED: [200, "Job was already marked as done."],
  JOB_MARKED_ERROR: [200, "Job has been marked as error."],
  JOB_ALREADY_MARKED_ERROR: [200, "Job was already marked as error."],
  IMAGE_GONE: [410, "IMAGE file was probably deleted from the server. Consider setting the job state to error."],
  ALTO_GONE: [410, "ALTO XML file was probably deleted from the server. Consider setting the job state to error."],
  PAGE_GONE: [410, "PAGE XML file was probably deleted from the server. Consider setting the job state to error."],
  META_JSON_GONE: [410, "The Meta JSON file was probably deleted from the server. Consider setting the job state to error."],
  JOB_RESULT_UPLOADED: [201, "Result ZIP archive uploaded successfully."],
  JOB_RESULT_REUPLOADED: [200, "Result ZIP archive re-uploaded successfully."],
  JOB_RESULT_INVALID: [415, "The uploaded file is not a valid ZIP archive."],
  JOB_ARTIFACTS_UPLOADED: [201, "Artifacts ZIP archive uploaded successfully."],
  JOB_ARTIFACTS_REUPLOADED: [200, "Artifacts ZIP archive re-uploaded successfully."],
  JOB_ARTIFACTS_INVALID: [415, "The uploaded file is not a valid ZIP archive."],
  ENGINE_FILES_NOT_FOUND: [404, "Engine not found."],
  ENGINE_FILES_GONE: [410, "Engine files were probably deleted from the server. Consider setting the job state to error."], // 404 for an unknown engine id
  IMAGE_DOWNLOADED: [200, "IMAGE file downloaded successfully."], // docs only
  ALTO_DOWNLOADED: [200, "ALTO XML file downloaded successfully."], // docs only
  PAGE_DOWNLOADED: [200, "PAGE XML file downloaded successfully."], // docs only
  META_JSON_DOWNLOADED: [200, "Meta JSON file downloaded successfully."], // docs only
  ENGINE_FILES_RETRIEVED: [200, "Engine files retrieved successfully."], // docs only

  // Admin / debug
  KEYS_RETRIEVED: [200, "API keys retrieved successfully."],
  KEY_CREATED: [201, "API key created successfully."],
  KEY_ALREADY_EXISTS: [409, "API key with the specified label already exists."], // PATCH: "An API key with the specified label already exists."
  KEY_CREATION_FAILED: [409, "Failed to create a new API key due to hash collision after multiple attempts."],
  KEY_SECRET_CREATED: [201, "New API key secret created successfully."],
  KEY_SECRET_CREATION_FAILED: [409, "Failed to create a new secret for the API key due to hash collision after multiple attempts."],
  KEY_NOT_FOUND: [404, "The specified API key was not found."],
  KEY_UPDATED: [200, "API key was updated successfully."],
  KEY_UPDATE_NO_FIELDS: [400, "At least one field must be provided to update the API key."],
  ENGINE_CREATED: [201, "Engine created successfully."],
  ENGINE_ALREADY_EXISTS: [409, "An engine with the specified name and version already exists."],
  ENGINE_UPDATED: [200, "Engine was updated successfully."],
  ENGINE_UPDATE_NO_FIELDS: [400, "At least one field must be provided to update the engine."],
  ENGINE_FILES_UPLOADED: [201, "Engine files ZIP archive uploaded successfully."],
  ENGINE_FILES_REUPLOADED: [200, "Engine files ZIP archive re-uploaded successfully."],
  ENGINE_FILES_INVALID: [415, "The uploaded file is not a valid ZIP archive."],
  ENGINES_RETRIEVED: [200, "Engines retrieved successfully."],
  JOB_ARTIFACTS_NOT_FOUND: [404, "The specified job artifacts were not found."],
  JOB_ARTIFACTS_RETRIEVED: [200, "Job artifacts retrieved successfully."], // docs only
  JOB_STARTED: [200, "The job has been started successfully."],
  JOB_NOT_READY: [409, "The job cannot be started because not all required files have been uploaded."],
  JOB_ALREADY_STARTED: [409, "The job is not in NEW state and cannot be started manually."],

  // Generic
  REQUEST_VALIDATION_ERROR: [422, "The request parameters did not pass validation."],
  HTTP_ERROR: [404, "Not Found"],
  INTERNAL_ERROR: [500, "An internal server error occurred."],

  // Internal-only reference enum values (valid strings, never sent)
  IMAGE_NOT_FOUND: [404, "Image does not exist."],
  IMAGE_UPDATED: [200, "Image was updated successfully."],
  IMAGES_RETRIEVED: [200, "Images retrieved successfully."],
  IMAGE_RETRIEVED: [200, "Image retrieved successfully."],
  IMAGE_NOT_UPLOADED: [409, "IMAGE file has not been uploaded yet."],
  ALTO_NOT_UPLOADED: [409, "ALTO XML file has not been uploaded yet."],
  PAGE_NOT_UPLOADED: [409, "PAGE XML file has not been uploaded yet."],
  META_JSON_NOT_UPLOADED: [409, "Meta JSON file has not been uploaded yet."],
  ENGINE_RETRIEVED: [200, "Engine retrieved successfully."],
  JOB_INVALID_STATE_UPDATE: [409, "Invalid job state update."],

  // Extensions of this project (docs/decisions.md §5; upload size limit; database outage). Only ever sent with error statuses
  // (4xx, and 503 for DATABASE_UNAVAILABLE, with Retry-After), never in a 2xx, which a reference client validates.
  JOB_LEASE_TOKEN_STALE: [409, "The lease token does not match the job's current lease; the job was leased again or released."],
  IDEMPOTENCY_KEY_REUSED: [422, "The Idempotency-Key was already used with a different request body."],
  FILE_TOO_LARGE: [413, "The uploaded file exceeds the size limit of this server."],
  DATABASE_UNAVAILABLE: [503, "The database is not available right now; try again shortly."],
} as const satisfies Record<string, readonly [number, string]>;

export type AppCode = keyof typeof APP_CODES;

/** The 105 members of the reference's AppCode enum (what a reference client accepts in a 2xx). */
const EXTENSION_CODES = [
  "JOB_LEASE_TOKEN_STALE",
  "IDEMPOTENCY_KEY_REUSED",
  "FILE_TOO_LARGE",
  "DATABASE_UNAVAILABLE",
] as const satisfies readonly AppCode[];
export const REFERENCE_CODES = (Object.keys(APP_CODES) as AppCode[]).filter((c) => !(EXTENSION_CODES as readonly string[]).includes(c));
