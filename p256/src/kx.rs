//! TLS key exchange on P-256 (`secp256r1`): a server that takes no
//! X25519 (the guest offers it first) asks for this one.

use p256::elliptic_curve::sec1::ToSec1Point;
use p256::{NonZeroScalar, PublicKey};
use rustls::crypto::{ActiveKeyExchange, SecureRandom, SharedSecret, SupportedKxGroup};
use rustls::{NamedGroup, PeerMisbehaved};

/// ECDHE on P-256, its secrets drawn from a provider's random source.
#[derive(Debug)]
pub struct SecP256R1(
    /// Where each exchange's secret comes from.
    pub &'static dyn SecureRandom,
);

impl SupportedKxGroup for SecP256R1 {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, rustls::Error> {
        let secret = random_scalar(self.0)?;
        let public = PublicKey::from_secret_scalar(&secret)
            .to_sec1_point(false)
            .as_bytes()
            .to_vec();
        Ok(Box::new(Exchange { secret, public }))
    }

    fn name(&self) -> NamedGroup {
        NamedGroup::secp256r1
    }
}

/// A scalar in `1..n` from `random` (a draw of 32 bytes that is zero or
/// not below the group's order is drawn again).
fn random_scalar(random: &dyn SecureRandom) -> Result<NonZeroScalar, rustls::Error> {
    loop {
        let mut bytes = [0u8; 32];
        random
            .fill(&mut bytes)
            .map_err(|_| rustls::Error::FailedToGetRandomBytes)?;
        if let Some(scalar) = NonZeroScalar::from_repr(bytes.into()).into_option() {
            return Ok(scalar);
        }
    }
}

/// One exchange under way: its secret and the public key it sent.
struct Exchange {
    secret: NonZeroScalar,
    /// SEC1, uncompressed.
    public: Vec<u8>,
}

impl ActiveKeyExchange for Exchange {
    fn complete(self: Box<Self>, peer_pub_key: &[u8]) -> Result<SharedSecret, rustls::Error> {
        // Decoding checks the point is on the curve and not the identity.
        let peer = PublicKey::from_sec1_bytes(peer_pub_key)
            .map_err(|_| rustls::Error::from(PeerMisbehaved::InvalidKeyShare))?;
        let shared = p256::ecdh::diffie_hellman(self.secret, peer.as_affine());
        Ok(SharedSecret::from(shared.raw_secret_bytes().as_slice()))
    }

    fn pub_key(&self) -> &[u8] {
        &self.public
    }

    fn group(&self) -> NamedGroup {
        NamedGroup::secp256r1
    }
}
