using System.Net;
using System.Net.Mail;
using System.Text;
using Facilities.Cloud.Outbox;

namespace Facilities.Cloud.Notifications;

/// <summary>
/// Email over SMTP (System.Net.Mail: plain or STARTTLS, optional login). Recipients are the channel's fixed <c>To</c>
/// list, or else the contact's addresses; they are stored with the notification. A refusal by the server throws
/// <see cref="SmtpException"/> and is retried like any transport failure.
/// </summary>
internal sealed class EmailChannel(NotificationChannelOptions options, TimeSpan timeout) : INotificationChannel
{
    public string Type => NotificationChannelOptions.Email;

    public string Target(OnCallContact contact)
    {
        ArgumentNullException.ThrowIfNull(contact);
        return string.Join(", ", options.To.Count > 0 ? options.To : contact.Email);
    }

    public string Compose(NotificationMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.Text;
    }

    public async Task<DeliveryResult> SendAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        using var mail = new MailMessage
        {
            From = new MailAddress(options.From!),
            Subject = delivery.Subject,
            SubjectEncoding = Encoding.UTF8,
            Body = delivery.Body,
            BodyEncoding = Encoding.UTF8,
            IsBodyHtml = false,
        };
        foreach (var address in delivery.Target.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            mail.To.Add(address);
        }

        using var smtp = new SmtpClient(options.Host, options.Port)
        {
            EnableSsl = options.EnableSsl,
            DeliveryMethod = SmtpDeliveryMethod.Network,
            Timeout = (int)timeout.TotalMilliseconds,
        };
        if (!string.IsNullOrEmpty(options.Username))
        {
            smtp.Credentials = new NetworkCredential(options.Username, options.Password);
        }

        await smtp.SendMailAsync(mail, cancellationToken);
        return DeliveryResult.Ok($"SMTP {options.Host}:{options.Port} accepted");
    }
}
