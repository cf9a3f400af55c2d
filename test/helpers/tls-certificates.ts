import { execFile } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface TestCertificates {
  /** The throwaway CA's certificate (PEM), for clients to trust. */
  ca: Buffer
  /** Files of the server certificate (for localhost and 127.0.0.1) and its key. */
  certFile: string
  keyFile: string
}

// One config for both certificates: a CA that may only sign, and a server
// certificate a TLS client accepts for https://localhost and https://127.0.0.1.
const opensslConfig = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = summa test CA
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
authorityKeyIdentifier = keyid
`

/**
 * A CA and a server certificate it signed, made with the openssl command line
 * into `dir`, valid for a day: what an operator hands the gateway, without a
 * real CA.
 */
export async function createTestCertificates(dir: string): Promise<TestCertificates> {
  await writeFile(path.join(dir, 'openssl.cnf'), opensslConfig)
  // Run in `dir` with relative names: no path in the arguments to quote.
  const openssl = (args: string) => run('openssl', args.split(' '), { cwd: dir })
  const newKey = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'
  await openssl(`req -x509 -config openssl.cnf -extensions ca ${newKey} -keyout ca.key -out ca.crt -days 1`)
  await openssl(`req -new -config openssl.cnf ${newKey} -subj /CN=localhost -keyout tls.key -out tls.csr`)
  await openssl(
    `x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -set_serial ${Date.now()} -days 1 ` +
      '-extfile openssl.cnf -extensions server -out tls.crt',
  )
  return {
    ca: await readFile(path.join(dir, 'ca.crt')),
    certFile: path.join(dir, 'tls.crt'),
    keyFile: path.join(dir, 'tls.key'),
  }
}
