//! The compiled artifact (`polc compile`): an envelope around the policy's payload.
//!
//! ```text
//! {"version": 3, "sha256": "HEX", "signature": "HEX"?, "policy": PAYLOAD}
//! ```
//!
//! `sha256` is the SHA-256 of the payload's bytes exactly as they stand in the file; `signature`
//! (optional) is an ed25519 signature of the text `polc-artifact:3:sha256:HEX`. The payload holds
//! what the sources say (types, roles, rules, conditions); the include closure, the plans and the
//! rule index are rebuilt on load, so the artifact stays linear in the policy and no stored table
//! can disagree with the roles and rules it is derived from.

use super::{ARTIFACT_VERSION, Policy, plan};
use crate::loader::MAX_FILE_BYTES;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey};
use ed25519_dalek::{Signature, Signer};
pub use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

/// How deeply an artifact's JSON may nest: deep enough for the deepest condition the parser
/// accepts (256 operators, two levels each), and checked before any parsing.
pub const MAX_ARTIFACT_DEPTH: usize = 1024;

/// Why an artifact could not be written or loaded.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// The text is not JSON, or not the artifact's shape.
    #[error("not a polc artifact: {0}")]
    Json(#[from] serde_json::Error),
    /// The envelope's `version` is not [`ARTIFACT_VERSION`].
    #[error(
        "artifact version {found} is not supported (this polc reads version {ARTIFACT_VERSION}); recompile it with `polc compile`"
    )]
    Version {
        /// The version the artifact declares.
        found: u32,
    },
    /// The JSON nests deeper than [`MAX_ARTIFACT_DEPTH`] (checked before parsing).
    #[error("the artifact nests deeper than {MAX_ARTIFACT_DEPTH} levels")]
    TooDeep,
    /// The payload's SHA-256 is not the envelope's `sha256`.
    #[error(
        "the artifact's content does not match its sha256 hash: it was corrupted or edited after `polc compile`"
    )]
    Hash,
    /// A verifying key was given but the envelope has no `signature`.
    #[error("the artifact is not signed, and a verifying key was given")]
    Unsigned,
    /// The `signature` does not verify with the given key.
    #[error("the artifact's signature does not verify with the given key")]
    BadSignature,
    /// Writing: the artifact would exceed the loader's file size limit.
    #[error(
        "the artifact would be {size} bytes, more than the limit of {MAX_FILE_BYTES} that loading accepts"
    )]
    TooLarge {
        /// The artifact's size in bytes.
        size: usize,
    },
    /// The payload parses but breaks an invariant (an id out of range, a duplicate name).
    #[error("the artifact is inconsistent: {0}")]
    Invalid(String),
    /// A rule's condition does not type-check against the payload's types.
    #[error("a condition of the artifact does not type-check: {0}")]
    Type(String),
}

impl ArtifactError {
    /// The diagnostic code that reports this error (E0010 to E0017).
    pub fn code(&self) -> crate::diag::Code {
        use crate::diag::Code;
        match self {
            ArtifactError::Json(_) => Code::E0010,
            ArtifactError::Version { .. } => Code::E0011,
            ArtifactError::Hash => Code::E0012,
            ArtifactError::Unsigned => Code::E0013,
            ArtifactError::BadSignature => Code::E0014,
            ArtifactError::Invalid(_) => Code::E0015,
            ArtifactError::Type(_) => Code::E0016,
            ArtifactError::TooDeep | ArtifactError::TooLarge { .. } => Code::E0017,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<'a> {
    version: u32,
    sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signature: Option<String>,
    #[serde(borrow)]
    policy: &'a RawValue,
}

#[derive(Deserialize)]
struct Header {
    version: u32,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The SHA-256 of the payload, in lowercase hex.
fn digest(payload: &str) -> String {
    hex(&Sha256::digest(payload.as_bytes()))
}

/// What a signature signs: the format version and the payload's hash.
fn signed_message(sha256: &str) -> String {
    format!("polc-artifact:{ARTIFACT_VERSION}:sha256:{sha256}")
}

/// The deepest nesting of `[` and `{` in JSON text (outside strings), counted without parsing.
fn json_depth(text: &str) -> usize {
    let (mut depth, mut max, mut in_str, mut escaped) = (0usize, 0usize, false, false);
    for b in text.bytes() {
        if in_str {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Parses JSON whose depth [`json_depth`] has bounded, without serde_json's fixed limit of 128
/// (a condition of 60 `&&` nests deeper), on a large stack when it is deep.
fn parse<'a, T: Deserialize<'a> + Send>(text: &'a str, depth: usize) -> Result<T, ArtifactError> {
    let run = || {
        let mut de = serde_json::Deserializer::from_str(text);
        de.disable_recursion_limit();
        let v = T::deserialize(&mut de)?;
        de.end()?;
        Ok::<T, serde_json::Error>(v)
    };
    crate::stack::with_stack(depth / 16, run)
        .ok_or_else(|| ArtifactError::Invalid("the artifact could not be parsed".into()))?
        .map_err(ArtifactError::Json)
}

/// Reads a signing key: PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), as `openssl genpkey
/// -algorithm ed25519` writes it.
pub fn signing_key_from_pem(text: &str) -> Result<SigningKey, String> {
    SigningKey::from_pkcs8_pem(text.trim()).map_err(|e| e.to_string())
}

/// Reads a verifying key: SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`), as `openssl
/// pkey -pubout` writes it.
pub fn verifying_key_from_pem(text: &str) -> Result<VerifyingKey, String> {
    VerifyingKey::from_public_key_pem(text.trim()).map_err(|e| e.to_string())
}

impl Policy {
    /// The artifact, unsigned (see [`Policy::to_artifact`]).
    pub fn to_json(&self) -> String {
        self.envelope(None).unwrap_or_default()
    }

    fn envelope(&self, key: Option<&SigningKey>) -> Result<String, ArtifactError> {
        let payload = serde_json::to_string(self)?;
        let sha256 = digest(&payload);
        let signature = key.map(|k| hex(&k.sign(signed_message(&sha256).as_bytes()).to_bytes()));
        let raw = RawValue::from_string(payload)?;
        Ok(serde_json::to_string(&Envelope {
            version: ARTIFACT_VERSION,
            sha256,
            signature,
            policy: &raw,
        })?)
    }

    /// The artifact, signed with `key` if given. It is loaded back before it is returned, so
    /// that an artifact that loading would refuse (over the size limit, too deep) is an error
    /// here rather than at `eval` time.
    pub fn to_artifact(&self, key: Option<&SigningKey>) -> Result<String, ArtifactError> {
        let text = self.envelope(key)?;
        if text.len() as u64 > MAX_FILE_BYTES {
            return Err(ArtifactError::TooLarge { size: text.len() });
        }
        let verifying = key.map(SigningKey::verifying_key);
        Policy::from_artifact(&text, verifying.as_ref())?;
        Ok(text)
    }

    /// Loads an artifact, checking its hash, but not requiring a signature.
    pub fn from_json(text: &str) -> Result<Policy, ArtifactError> {
        Policy::from_artifact(text, None)
    }

    /// Loads an artifact: checks its nesting, version and hash; with `key`, requires a signature
    /// that verifies with it; then validates every index and cross-reference, re-checks the
    /// conditions' types against the declarations and rebuilds the derived tables.
    pub fn from_artifact(text: &str, key: Option<&VerifyingKey>) -> Result<Policy, ArtifactError> {
        let depth = json_depth(text);
        if depth > MAX_ARTIFACT_DEPTH {
            return Err(ArtifactError::TooDeep);
        }
        let header: Header = parse(text, depth)?;
        if header.version != ARTIFACT_VERSION {
            return Err(ArtifactError::Version {
                found: header.version,
            });
        }
        let env: Envelope<'_> = parse(text, depth)?;
        let sha256 = digest(env.policy.get());
        if sha256 != env.sha256 {
            return Err(ArtifactError::Hash);
        }
        if let Some(key) = key {
            let sig = env.signature.as_deref().ok_or(ArtifactError::Unsigned)?;
            let sig = unhex(sig)
                .and_then(|b| <[u8; 64]>::try_from(b).ok())
                .ok_or(ArtifactError::BadSignature)?;
            key.verify_strict(
                signed_message(&sha256).as_bytes(),
                &Signature::from_bytes(&sig),
            )
            .map_err(|_| ArtifactError::BadSignature)?;
        }
        let p: Policy = parse(env.policy.get(), depth)?;
        // Validation and the type check walk conditions recursively: deep ones on a large stack.
        crate::stack::with_stack(depth / 16, || {
            p.validate().map_err(ArtifactError::Invalid)?;
            p.check_conditions().map_err(ArtifactError::Type)
        })
        .ok_or_else(|| ArtifactError::Invalid("the artifact could not be checked".into()))??;
        Ok(Policy::rebuild(p))
    }

    /// Rebuilds every derived table of a validated payload.
    fn rebuild(p: Policy) -> Policy {
        let Policy {
            mut types,
            context,
            action,
            rules,
            ..
        } = p;
        for t in &mut types {
            plan::close_roles(&mut t.roles);
        }
        plan::index_rules(&mut types, &rules);
        let plans = plan::build(&mut types);
        Policy::new(types, context, rules, plans).with_action(action)
    }
}
