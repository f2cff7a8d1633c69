"""The extension name releases up to 0.7.0 give in their ``copier.yml``.

Those releases name ``generator.extension.BlueprintExtension``; rendering or updating
them with a newer generator must still use *their* filters, so the name now belongs to
:class:`generator.release.ReleaseExtension`, which finds the release being rendered and
registers its own code. New releases name ``generator.release.ReleaseExtension`` itself,
so a generator older than the template fails to load it instead of rendering with
skewed code.
"""

from generator.release import ReleaseExtension

BlueprintExtension = ReleaseExtension

__all__ = ["BlueprintExtension"]
