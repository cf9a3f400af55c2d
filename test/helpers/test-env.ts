/**
 * Settings the global setup hands to every test file through the environment:
 * test files run in their own processes, and the environment is what they share.
 */
export const testEnv = {
  kafkaBootstrap: 'SUMMA_TEST_KAFKA_BOOTSTRAP',
  templateDatabase: 'SUMMA_TEST_TEMPLATE_DB',
  adminDatabaseUrl: 'SUMMA_TEST_ADMIN_DATABASE_URL',
  // The test broker's admin user (SCRAM-SHA-512); unset: a broker without authentication.
  kafkaUsername: 'SUMMA_TEST_KAFKA_USERNAME',
  kafkaPassword: 'SUMMA_TEST_KAFKA_PASSWORD',
} as const

export function requireEnv(name: string): string {
  const value = process.env[name]
  if (value === undefined || value === '') {
    throw new Error(
      `${name} is not set: run tests through 'make test' (node --test --test-global-setup=test/global-setup.ts)`,
    )
  }
  return value
}
