export { hashFile, type FileDigest } from './hash-file.ts';
export { collectFiles, type LocalFile } from './collect-files.ts';
export { pushVersion, uploadFile, type PushOptions, type PushResult, type TransferProgress } from './push.ts';
export { pullVersion, type PullOptions, type PullResult } from './pull.ts';
export { verifyDir, type VerifyReport } from './verify-dir.ts';
export { verifyVersionSignature } from './signature.ts';
export { trustedKey, stewardHome } from './key-pin.ts';
export { safeJoin } from './safe-path.ts';
